"""The automation pages: rules, their runs, the editor, dry-run and settings."""
