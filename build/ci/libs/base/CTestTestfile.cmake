# CMake generated Testfile for 
# Source directory: /work/main/libs/base
# Build directory: /work/main/build/ci/libs/base
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
