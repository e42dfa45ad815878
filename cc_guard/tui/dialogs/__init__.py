"""Modal dialogs: confirmations, the resume choice, text reports."""
