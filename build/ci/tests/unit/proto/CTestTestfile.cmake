# CMake generated Testfile for 
# Source directory: /work/main/tests/unit/proto
# Build directory: /work/main/build/ci/tests/unit/proto
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/build/ci/tests/unit/proto/proto_test[1]_include.cmake")
