# Install-time part of cmake/SlaPackaging.cmake: writes the files that name
# installed paths. Run by cmake_install.cmake with CMAKE_INSTALL_PREFIX (and
# DESTDIR, under CPack) set, and SLA_SOURCE_DIR, SLA_BINARY_DIR,
# SLA_INSTALL_BINDIR from the configure step. Installing without DESTDIR over
# an existing <etc>/sla-timerd.yaml or policy.yaml keeps the existing file
# (an operator's edits) and writes the new one beside it as *.new.
#
#   <etc>/sla-timerd.yaml        the sample settings, `policy:` naming the file below
#   <etc>/policy.yaml            a copy of the sample policy, to edit (the daemon
#                                reloads it when it changes)
#   lib/systemd/system/sla-timerd.service
#
# <etc> is /etc/sla-timer for the prefix /usr (GNUInstallDirs' rule; the
# Debian package), else <prefix>/etc/sla-timer.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(sla_etc /etc/sla-timer)
else()
  set(sla_etc "${CMAKE_INSTALL_PREFIX}/etc/sla-timer")
endif()
set(sla_bindir "${CMAKE_INSTALL_PREFIX}/${SLA_INSTALL_BINDIR}")
# file(INSTALL) puts DESTDIR in front of its destination itself; only the
# check for an existing file needs it spelt out.
set(sla_stage "$ENV{DESTDIR}")

file(READ "${SLA_SOURCE_DIR}/deploy/config/sla-timerd.yaml" sla_settings)
string(REGEX REPLACE "\npolicy: [^\n]*" "\npolicy: ${sla_etc}/policy.yaml" sla_settings "${sla_settings}")
if(NOT sla_settings MATCHES "\npolicy: ${sla_etc}/policy.yaml")
  message(FATAL_ERROR "deploy/config/sla-timerd.yaml has no top-level 'policy:' line to point at ${sla_etc}")
endif()

# One scratch folder per destination: installs into different prefixes
# (the tests run cpack and cmake --install side by side) do not collide.
string(MD5 sla_dest_hash "${sla_stage}|${CMAKE_INSTALL_PREFIX}")
set(sla_tmp "${SLA_BINARY_DIR}/sla-install-etc/${sla_dest_hash}")
file(MAKE_DIRECTORY "${sla_tmp}")
file(WRITE "${sla_tmp}/sla-timerd.yaml" "${sla_settings}")
file(COPY_FILE "${SLA_SOURCE_DIR}/deploy/policies/sample.yaml" "${sla_tmp}/policy.yaml")
set(SLA_TIMERD "${sla_bindir}/sla-timerd")
set(SLA_CONFIG "${sla_etc}/sla-timerd.yaml")
configure_file("${SLA_SOURCE_DIR}/deploy/packaging/sla-timerd.service.in" "${sla_tmp}/sla-timerd.service" @ONLY)

foreach(name sla-timerd.yaml policy.yaml)
  set(dest "${sla_stage}${sla_etc}/${name}")
  if(sla_stage STREQUAL "" AND EXISTS "${dest}")
    file(READ "${dest}" sla_old)
    file(READ "${sla_tmp}/${name}" sla_new)
    if(NOT sla_old STREQUAL sla_new)
      message(STATUS "Keeping: ${dest} (edited; the new one is ${dest}.new)")
      file(COPY_FILE "${sla_tmp}/${name}" "${dest}.new")
      continue()
    endif()
  endif()
  file(INSTALL DESTINATION "${sla_etc}" TYPE FILE FILES "${sla_tmp}/${name}")
endforeach()
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES "${sla_tmp}/sla-timerd.service")
