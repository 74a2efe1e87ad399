"""The web's toolkit for every capability's HTTP routes: reading bodies and queries
(``body``), who asks (``request``), event streams (``sse``). Below the capabilities; the
server (callcenter/api/) is above them."""
