# install/export so that find_package(multirank) works downstream.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS multirank EXPORT multirankTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/multirank DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS multirank_cli multirank_farm_spawner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT multirankTargets NAMESPACE multirank:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/multirank)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/multirank-config.cmake.in
  ${PROJECT_BINARY_DIR}/multirank-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/multirank)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/multirank-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/multirank-config.cmake ${PROJECT_BINARY_DIR}/multirank-config-version.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/multirank)
