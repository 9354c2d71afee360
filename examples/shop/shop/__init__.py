"""A small Flask shop: accounts, a wallet, orders and checkout."""
