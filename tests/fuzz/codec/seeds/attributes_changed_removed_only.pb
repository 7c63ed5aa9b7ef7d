T1
e21T1acme"Ю╜нн╙channelproduct