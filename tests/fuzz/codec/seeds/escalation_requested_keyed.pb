T1
e7T1acme"Ю╜нн╨"
ops-managerLevel 4: management