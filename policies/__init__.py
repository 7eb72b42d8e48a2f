"""Pure library rules. Plain functions and dataclasses; ``today`` is always an argument.

Nothing here imports textual, peewee or models: every channel (counter, telephone, web,
kiosk, command line) calls the same rule.
"""
