"""Sub-commands of ``counter-app``. Each module has ``register(subparsers, common)``; add a
module's name to :data:`MODULES` to put its commands on the command line."""

MODULES = [
    "catalog",
    "staff",
    "patron",
    "web",
    "circulation",
    "notices",
    "holds",
    "ui",
    "slips",
]
