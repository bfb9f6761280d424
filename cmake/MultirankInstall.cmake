# install/export so that find_package(multirank [COMPONENTS study boost_mpi]) works downstream.
#   multirank::multirank  the core (always)
#   multirank::study      component "study": study files, statistics, report (parallel HDF5)
#   multirank::boost_mpi  component "boost_mpi": Boost.MPI views, where Boost.MPI matches the MPI
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(_mr_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/multirank)

install(TARGETS multirank EXPORT multirankTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/src/multirank/multirank.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/multirank)
set(_mr_exclude "")
if(NOT MULTIRANK_HAVE_BOOST_MPI)
  set(_mr_exclude PATTERN boost_mpi.hpp EXCLUDE)
endif()
# Each layer's headers; its internal/ folder (what only the library's own sources include) stays out.
foreach(layer core collective shared channel pool pipeline trace)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/multirank/${layer} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/multirank
          FILES_MATCHING PATTERN "*.hpp" ${_mr_exclude} PATTERN internal EXCLUDE)
endforeach()
install(EXPORT multirankTargets NAMESPACE multirank:: DESTINATION ${_mr_cmake_dir})
if(MULTIRANK_HAVE_BOOST_MPI)
  install(TARGETS multirank_boost_mpi EXPORT multirankBoostMpiTargets)
  install(EXPORT multirankBoostMpiTargets NAMESPACE multirank:: DESTINATION ${_mr_cmake_dir})
endif()

set(MULTIRANK_HAVE_STUDY OFF)
if(MULTIRANK_BUILD_STUDY)
  set(MULTIRANK_HAVE_STUDY ON)
  install(TARGETS multirank_study EXPORT multirankStudyTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/multirank/study DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/multirank
          FILES_MATCHING PATTERN "*.hpp")
  install(EXPORT multirankStudyTargets NAMESPACE multirank:: DESTINATION ${_mr_cmake_dir})
endif()
if(MULTIRANK_BUILD_APPS)
  install(TARGETS multirank_cli multirank_farm_spawner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/multirank-config.cmake.in
  ${PROJECT_BINARY_DIR}/multirank-config.cmake
  INSTALL_DESTINATION ${_mr_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/multirank-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/multirank-config.cmake ${PROJECT_BINARY_DIR}/multirank-config-version.cmake
        DESTINATION ${_mr_cmake_dir})
