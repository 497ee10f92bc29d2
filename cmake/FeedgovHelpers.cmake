# Developer convenience while several people edit the tree at once: with
# -DFEEDGOV_SKIP_INCOMPLETE=ON a target whose sources do not exist yet is
# skipped with a warning instead of failing the configure. OFF in CI.
option(FEEDGOV_SKIP_INCOMPLETE "Skip targets with missing sources" OFF)
function(feedgov_sources_missing out)
  set(missing FALSE)
  foreach(src ${ARGN})
    if(NOT IS_ABSOLUTE ${src})
      set(src ${CMAKE_CURRENT_SOURCE_DIR}/${src})
    endif()
    if(NOT EXISTS ${src})
      set(missing TRUE)
    endif()
  endforeach()
  set(${out} ${missing} PARENT_SCOPE)
endfunction()

# feedgov_cc_library(NAME n HDRS ... SRCS ... DEPS ...)
#   Defines static library target feedgov_<n>. Includes are rooted at the
#   repository root ("engine/common/types.h") and at the generated proto dir
#   ("feedgov/v1/policy.pb.h").
function(feedgov_cc_library)
  cmake_parse_arguments(FG "" "NAME" "HDRS;SRCS;DEPS" ${ARGN})
  feedgov_sources_missing(missing ${FG_SRCS} ${FG_HDRS})
  if(FEEDGOV_SKIP_INCOMPLETE AND missing)
    message(WARNING "skipping incomplete library feedgov_${FG_NAME}")
    return()
  endif()
  if(FG_SRCS)
    add_library(feedgov_${FG_NAME} STATIC ${FG_SRCS} ${FG_HDRS})
    target_include_directories(feedgov_${FG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(feedgov_${FG_NAME} PUBLIC ${FG_DEPS})
  else()
    add_library(feedgov_${FG_NAME} INTERFACE)
    target_include_directories(feedgov_${FG_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(feedgov_${FG_NAME} INTERFACE ${FG_DEPS})
  endif()
endfunction()

# feedgov_cc_test(NAME n SRCS ... DEPS ... [LABELS ...])
#   One GoogleTest executable; each TEST is registered with ctest. Tests get
#   FEEDGOV_DATA_DIR (shared data) and FEEDGOV_SOURCE_DIR in the environment.
function(feedgov_cc_test)
  cmake_parse_arguments(FG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(FEEDGOV_FUZZ)  # the fuzz build holds fuzz targets only
    return()
  endif()
  feedgov_sources_missing(missing ${FG_SRCS})
  if(FEEDGOV_SKIP_INCOMPLETE AND missing)
    message(WARNING "skipping incomplete test ${FG_NAME}")
    return()
  endif()
  add_executable(${FG_NAME} ${FG_SRCS})
  target_link_libraries(${FG_NAME} PRIVATE ${FG_DEPS} feedgov_testing
                        GTest::gmock GTest::gtest_main)
  if(NOT FG_TIMEOUT)
    set(FG_TIMEOUT 600)
  endif()
  # gtest_discover_tests flattens PROPERTIES into one list, so an empty
  # LABELS value swallows the next key and ENVIRONMENT's ';' splits it into
  # bogus keys (tests then ran without FEEDGOV_DATA_DIR). ENVIRONMENT is
  # therefore set by a ctest include file run after the discovered tests.
  set(fg_props TIMEOUT ${FG_TIMEOUT})
  if(FG_LABELS)
    list(APPEND fg_props LABELS ${FG_LABELS})
  endif()
  gtest_discover_tests(${FG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ${fg_props})
  set(fg_env_file ${CMAKE_CURRENT_BINARY_DIR}/${FG_NAME}_env.cmake)
  file(WRITE ${fg_env_file}
    "if(${FG_NAME}_TESTS)\n"
    "  set_tests_properties(\${${FG_NAME}_TESTS} PROPERTIES ENVIRONMENT \"FEEDGOV_DATA_DIR=${FEEDGOV_DATA_DIR};FEEDGOV_SOURCE_DIR=${PROJECT_SOURCE_DIR};FEEDGOV_BINARY_DIR=${PROJECT_BINARY_DIR}\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${fg_env_file})
endfunction()
