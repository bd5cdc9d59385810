"""One router per resource; each route builds a command and calls one service."""
