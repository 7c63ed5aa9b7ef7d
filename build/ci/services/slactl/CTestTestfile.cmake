# CMake generated Testfile for 
# Source directory: /work/main/services/slactl
# Build directory: /work/main/build/ci/services/slactl
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
