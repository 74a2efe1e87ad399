"""AudioSocket: the caller's (and agent's) audio forked out of a call by Asterisk."""
