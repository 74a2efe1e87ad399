"""Tickets (工单) of answered calls: what the store keeps, and the desk that fills them."""
