"""Small shared utilities (file formats, asset checks)."""
