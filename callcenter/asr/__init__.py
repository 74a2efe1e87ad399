"""Live speech recognition (Vosk) of call audio, off the event loop."""
