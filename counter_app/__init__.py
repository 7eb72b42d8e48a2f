"""杵築市立図書館 counter terminal: the Textual app, the command line, configuration and the
services that carry out each library operation in one transaction."""

__version__ = "0.1.0"
