"""What the user asks for (login, credential-process, export, status, logout, configure)."""
