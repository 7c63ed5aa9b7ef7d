# CMake generated Testfile for 
# Source directory: /work/main/services
# Build directory: /work/main/build/ci/services
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("slactl")
