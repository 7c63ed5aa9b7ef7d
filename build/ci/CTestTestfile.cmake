# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build/ci
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("proto")
subdirs("libs/base")
subdirs("tests")
subdirs("services")
