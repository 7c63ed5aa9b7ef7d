
b1T2acme"°¤ÎÎ(R
starterP1open