# Every external dependency is a Debian package installed by
# deploy/local/setup.sh; libs/README.md says why each was chosen.
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)            # libabsl-dev
find_package(yaml-cpp CONFIG REQUIRED)        # libyaml-cpp-dev
find_package(nlohmann_json CONFIG REQUIRED)   # nlohmann-json3-dev
find_package(CLI11 CONFIG REQUIRED)           # libcli11-dev
find_package(spdlog CONFIG REQUIRED)          # libspdlog-dev
find_package(Protobuf REQUIRED)               # libprotobuf-dev, protobuf-compiler
find_package(tl-expected CONFIG REQUIRED)     # libexpected-dev
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBICAL REQUIRED IMPORTED_TARGET libical)   # libical-dev
if(SLA_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)         # libgtest-dev, libgmock-dev
endif()
if(SLA_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)     # libbenchmark-dev
endif()

# Adapters (libs/store, libs/kafka, libs/http) and the daemon.
find_package(Boost 1.81 REQUIRED)                          # libboost1.81-dev (Asio, Beast: header-only)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis) # libhiredis-dev
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka) # librdkafka-dev (C API + rdkafka_mock.h)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc) # libjemalloc-dev (sla-timerd's allocator)
find_package(OpenSSL REQUIRED)                             # libssl-dev (sla-notify: HTTPS client, HMAC-SHA256)
find_package(prometheus-cpp CONFIG REQUIRED)               # prometheus-cpp-dev (core: registry + text serializer)
