# Installation and packaging of ward; included by the top-level CMakeLists.txt.
#
# Installs, under CMAKE_INSTALL_PREFIX (or `cmake --install BUILD --prefix P`):
#   lib/libward.so*, libward.a            ward replaces malloc and friends
#   lib/libward-prefixed.so*, .a          only the ward_* names
#   include/ward.h
#   bin/ward                              the command (finds lib/ beside bin/)
#   share/man/man1/ward.1
#   lib/pkgconfig/ward.pc, ward-prefixed.pc
#   lib/cmake/ward/wardConfig.cmake ...   find_package(ward): ward::ward,
#                                         ward::ward_static, ward::ward_prefixed,
#                                         ward::ward_prefixed_static
# ("lib" is CMAKE_INSTALL_LIBDIR: lib/x86_64-linux-gnu under /usr on Debian.)
#
# Components, for packagers: Runtime (shared libraries, command, man page) and
# Development (headers, static libraries, namelinks, pkg-config and CMake
# files). A plain `cmake --install` installs both.
#
# The pkg-config files are written at install time, so that they name the
# prefix the files actually went to, --prefix included; the CMake package is
# relocatable by itself.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WARD_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ward"
  CACHE STRING "Where to install ward's CMake package files (relative to the prefix)")
mark_as_advanced(WARD_CMAKE_DIR)

# ---- libraries and header ------------------------------------------------
# (The targets carry $<INSTALL_INTERFACE:include> themselves, set at the top
# level, so no INCLUDES DESTINATION here: it would list the directory twice.)
install(TARGETS ward ward_prefixed ward_hardened ward_debug
  EXPORT wardTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT Runtime
    NAMELINK_COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT Runtime)
install(TARGETS ward_static ward_prefixed_static ward_hardened_static ward_debug_static
  EXPORT wardTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT Development)
install(FILES ${PROJECT_SOURCE_DIR}/include/ward.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT Development)

# ---- the command and its man page ----------------------------------------
if(TARGET ward_cmd)
  install(TARGETS ward_cmd
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT Runtime)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/docs/ward.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
  COMPONENT Runtime)

# ---- CMake package: find_package(ward) -----------------------------------
install(EXPORT wardTargets
  NAMESPACE ward::
  FILE wardTargets.cmake
  DESTINATION ${WARD_CMAKE_DIR}
  COMPONENT Development)
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/wardConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/wardConfig.cmake
  INSTALL_DESTINATION ${WARD_CMAKE_DIR})
# 0.x: a new minor version may break the API, so only 0.1.* satisfies 0.1.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/wardConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
    ${CMAKE_CURRENT_BINARY_DIR}/wardConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/wardConfigVersion.cmake
  DESTINATION ${WARD_CMAKE_DIR}
  COMPONENT Development)

# ---- pkg-config: ward.pc, ward-prefixed.pc -------------------------------
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(_ward_pc_libdir "${CMAKE_INSTALL_LIBDIR}")
  set(_ward_pc_dest "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
else()
  set(_ward_pc_libdir "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(_ward_pc_dest "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(_ward_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(_ward_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

foreach(_ward_pc ward ward-prefixed)
  if(_ward_pc STREQUAL "ward")
    set(_ward_pc_desc "The ward memory allocator (replaces malloc and friends)")
  else()
    set(_ward_pc_desc "The ward memory allocator, ward_* functions only (the system malloc stays)")
  endif()
  set(_ward_pc_out "${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/${_ward_pc}.pc")
  # Runs at install time, when CMAKE_INSTALL_PREFIX is the prefix in force.
  # [==[ ]==] keeps the ${prefix}-style references of the .pc file as they are.
  install(CODE "
    set(WARD_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    set(WARD_PC_LIBDIR [==[${_ward_pc_libdir}]==])
    set(WARD_PC_INCLUDEDIR [==[${_ward_pc_includedir}]==])
    set(WARD_PC_NAME [==[${_ward_pc}]==])
    set(WARD_PC_DESCRIPTION [==[${_ward_pc_desc}]==])
    set(WARD_PC_LIB [==[${_ward_pc}]==])
    set(WARD_PC_VERSION [==[${PROJECT_VERSION}]==])
    configure_file([==[${CMAKE_CURRENT_LIST_DIR}/ward.pc.in]==] [==[${_ward_pc_out}]==] @ONLY)
    file(INSTALL DESTINATION \"${_ward_pc_dest}\" TYPE FILE FILES [==[${_ward_pc_out}]==])
  " COMPONENT Development)
endforeach()
