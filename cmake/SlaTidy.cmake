# clang-tidy with the checked-in .clang-tidy, as a test: `ctest -L tidy`
# (CI runs it; it takes minutes, so it is not in the unit or integration
# tiers). Findings are errors. It reads compile_commands.json, so it checks
# the sources with this build's flags. SLA_TIDY_SOURCES says which: the
# folders cleaned so far; .clang-tidy makes every finding an error (the rest of libs/ and services/ is to follow).
option(SLA_CLANG_TIDY "Register the clang-tidy test (label tidy)" ON)
if(SLA_BUILD_TESTS AND SLA_CLANG_TIDY)
  find_program(SLA_RUN_CLANG_TIDY NAMES run-clang-tidy run-clang-tidy-14)
  find_program(SLA_CLANG_TIDY_BIN NAMES clang-tidy clang-tidy-14)
  if(NOT SLA_RUN_CLANG_TIDY OR NOT SLA_CLANG_TIDY_BIN)
    # Loud, not a test silently left out.
    message(FATAL_ERROR "clang-tidy not found: install it (deploy/local/setup.sh) or configure with -DSLA_CLANG_TIDY=OFF")
  endif()
  set(SLA_TIDY_SOURCES "${CMAKE_SOURCE_DIR}/libs/(base|pipeline)/.*[.]cpp$" CACHE STRING
      "run-clang-tidy's file regex for ctest -L tidy")
  # g++-only warning flags in the compile commands are unknown to clang.
  add_test(NAME clang_tidy
    COMMAND ${SLA_RUN_CLANG_TIDY} -quiet -clang-tidy-binary ${SLA_CLANG_TIDY_BIN} -p ${CMAKE_BINARY_DIR}
            -extra-arg=-Wno-unknown-warning-option "${SLA_TIDY_SOURCES}")
  set_tests_properties(clang_tidy PROPERTIES LABELS tidy TIMEOUT 3600)
endif()
