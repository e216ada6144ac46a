# Provides the imported targets lakeflow::arrow, lakeflow::arrow_compute (the
# compute kernels, a library of their own since Arrow 21: callers run
# arrow::compute::Initialize() before using them) and lakeflow::parquet.
#
# A system Arrow (find_package) wins when present. Otherwise we link against the
# libraries and headers bundled in the pyarrow wheel of the project's virtualenv:
# the manylinux_2_28 wheel is built with the new C++ ABI, so Debian's g++ links it.
# The wheel ships versioned sonames only; create_library_symlinks() adds the
# unversioned names the linker looks for.

find_package(Arrow CONFIG QUIET)
find_package(Parquet CONFIG QUIET)
if(Arrow_FOUND AND Parquet_FOUND)
  message(STATUS "Arrow ${Arrow_VERSION} from the system")
  add_library(lakeflow::arrow INTERFACE IMPORTED)
  target_link_libraries(lakeflow::arrow INTERFACE Arrow::arrow_shared)
  add_library(lakeflow::parquet INTERFACE IMPORTED)
  target_link_libraries(lakeflow::parquet INTERFACE Parquet::parquet_shared)
  add_library(lakeflow::arrow_compute INTERFACE IMPORTED)
  find_package(ArrowCompute CONFIG QUIET)
  if(ArrowCompute_FOUND)
    target_link_libraries(lakeflow::arrow_compute INTERFACE ArrowCompute::arrow_compute_shared)
  endif()
  target_link_libraries(lakeflow::arrow_compute INTERFACE lakeflow::arrow)
  return()
endif()

if(NOT LAKEFLOW_PYTHON)
  set(LAKEFLOW_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python")
endif()
if(NOT EXISTS "${LAKEFLOW_PYTHON}")
  message(FATAL_ERROR "No system Arrow and no Python at ${LAKEFLOW_PYTHON}: "
                      "run scripts/setup.sh, or pass -DLAKEFLOW_PYTHON=/path/to/python with pyarrow")
endif()
execute_process(
  COMMAND "${LAKEFLOW_PYTHON}" -c
          "import pyarrow as pa; pa.create_library_symlinks(); print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
  OUTPUT_VARIABLE _pa_out
  RESULT_VARIABLE _pa_rc
  ERROR_VARIABLE _pa_err
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "pyarrow not importable from ${LAKEFLOW_PYTHON}: ${_pa_err}")
endif()
string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
list(GET _pa_lines 0 PYARROW_INCLUDE_DIR)
list(GET _pa_lines 1 PYARROW_LIBRARY_DIR)
list(GET _pa_lines 2 PYARROW_VERSION)
message(STATUS "Arrow ${PYARROW_VERSION} from the pyarrow wheel at ${PYARROW_LIBRARY_DIR}")

foreach(_lib arrow arrow_compute parquet)
  add_library(lakeflow::${_lib} SHARED IMPORTED)
  set_target_properties(lakeflow::${_lib} PROPERTIES
    IMPORTED_LOCATION "${PYARROW_LIBRARY_DIR}/lib${_lib}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_INCLUDE_DIR}")
endforeach()
set_property(TARGET lakeflow::parquet APPEND PROPERTY INTERFACE_LINK_LIBRARIES lakeflow::arrow)
set_property(TARGET lakeflow::arrow_compute APPEND PROPERTY INTERFACE_LINK_LIBRARIES lakeflow::arrow)
# Binaries find the wheel's libraries where they are, without LD_LIBRARY_PATH.
set(CMAKE_BUILD_RPATH "${PYARROW_LIBRARY_DIR}")
set(CMAKE_INSTALL_RPATH "${PYARROW_LIBRARY_DIR}")
