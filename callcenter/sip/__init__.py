"""SIP as the browser softphones speak it over WebSocket: a strict, network-free reading of
one message (:mod:`.wire`) and what a browser may send (:mod:`.guard`)."""
