T1
e11T1acme"╟╓ннR
proP2*
channelwhatsapp