# Install rules and the Debian package (CPack DEB). Included last from the
# top-level CMakeLists.txt, once every target exists.
#
#   cmake --install build/ci --prefix /opt/sla-timer     # a tree anywhere
#   cpack --config build/ci/CPackConfig.cmake            # sla-timer_<version>_amd64.deb
#
# Layout under the prefix (docs/deploy.md):
#   bin/                     sla-timerd, slactl (and sla-notify when built)
#   share/sla-timer/policies the seed policies; sla-timerd finds them there by
#                            file name when its policy path is relative and
#                            not in the working folder (main.cpp)
#   share/sla-timer/config   the sample settings, every key with its default
#   share/doc/sla-timer      README and docs/
#   lib/systemd/system       sla-timerd.service
#   etc/sla-timer            sla-timerd.yaml (policy: the file beside it) and
#                            policy.yaml; /etc/sla-timer when the prefix is
#                            /usr, as GNUInstallDirs has it (the package)
include(GNUInstallDirs)

set(SLA_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/deploy/packaging)

# What sla-timerd needs to know about its installation (main.cpp): its
# version, where the installed policies are relative to the binary, and the
# build and source trees (a binary still in its build tree finds the source
# tree's policies).
file(REAL_PATH "${PROJECT_BINARY_DIR}" sla_real_binary_dir)
file(REAL_PATH "${PROJECT_SOURCE_DIR}" sla_real_source_dir)
target_compile_definitions(sla-timerd PRIVATE
  SLA_VERSION="${PROJECT_VERSION}"
  SLA_INSTALL_DATADIR="${CMAKE_INSTALL_DATADIR}"
  SLA_BUILD_DIR="${sla_real_binary_dir}"
  SLA_SOURCE_DIR="${sla_real_source_dir}")

set(sla_installed_tools sla-timerd slactl)
if(TARGET sla-notify)
  list(APPEND sla_installed_tools sla-notify)
endif()
install(TARGETS ${sla_installed_tools} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/policies/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sla-timer/policies
        FILES_MATCHING PATTERN "*.yaml" PATTERN "*.ics")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/sla-timerd.yaml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sla-timer/config)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")
if(EXISTS ${PROJECT_SOURCE_DIR}/deploy/observability)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/observability/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/sla-timer/observability)
endif()
# The systemd unit and the files under etc name installed paths, so they are
# written at install time, when the prefix (and DESTDIR, which CPack uses) is
# known: deploy/packaging/install-etc.cmake.
install(CODE "
  set(SLA_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(SLA_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
  set(SLA_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  include(\"${SLA_PACKAGING_DIR}/install-etc.cmake\")
")

# --- the Debian package --------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sla-timer)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "sla-timer")
set(CPACK_PACKAGE_CONTACT "sla-timer maintainers <sla-timer@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SLA timers and escalations from Kafka ticket events")
set(CPACK_PACKAGE_DESCRIPTION
    "sla-timerd consumes ticket events from Kafka, tracks every ticket's SLA deadlines on business calendars with a timer wheel, keeps its state in Redis, and produces warnings, breaches, escalations and pages back to Kafka. Includes slactl, the seed policies and a systemd unit.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)              # sla-timer_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)               # Depends: from dpkg-shlibdeps (dpkg-dev)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SLA_PACKAGING_DIR}/debian/conffiles
    ${SLA_PACKAGING_DIR}/debian/postinst
    ${SLA_PACKAGING_DIR}/debian/prerm
    ${SLA_PACKAGING_DIR}/debian/postrm)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/")
include(CPack)
