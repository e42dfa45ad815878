from cc_guard.entry import console

console()
