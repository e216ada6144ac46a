# Provides lakeflow::python: the libpython of the project's virtualenv's own
# interpreter (LAKEFLOW_PYTHON), for the `python` source, which embeds it to run
# connectors written in Python. The embedded interpreter is the venv's: the
# same version, standard library (PYTHONHOME, compiled in) and site-packages.
if(NOT LAKEFLOW_PYTHON)
  set(LAKEFLOW_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python")
endif()
execute_process(
  COMMAND "${LAKEFLOW_PYTHON}" -c
          "import sysconfig, sys, site; print(sysconfig.get_config_var('INCLUDEPY')); print(sysconfig.get_config_var('LIBDIR')); print(sysconfig.get_config_var('LDLIBRARY')); print(sys.base_prefix); print(site.getsitepackages()[0])"
  OUTPUT_VARIABLE _py_out
  RESULT_VARIABLE _py_rc
  ERROR_VARIABLE _py_err
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _py_rc EQUAL 0)
  message(FATAL_ERROR "cannot ask ${LAKEFLOW_PYTHON} where its libpython is: ${_py_err}")
endif()
string(REPLACE "\n" ";" _py_lines "${_py_out}")
list(GET _py_lines 0 LAKEFLOW_PYTHON_INCLUDE)
list(GET _py_lines 1 _py_libdir)
list(GET _py_lines 2 _py_ldlibrary)
list(GET _py_lines 3 LAKEFLOW_PYTHON_HOME)
list(GET _py_lines 4 LAKEFLOW_PYTHON_SITE)
set(_py_lib "${_py_libdir}/${_py_ldlibrary}")
if(NOT _py_ldlibrary MATCHES "\\.so" OR NOT EXISTS "${_py_lib}")
  message(FATAL_ERROR "${LAKEFLOW_PYTHON} has no shared libpython (${_py_lib}); "
                      "build Python with --enable-shared, or use Debian's python3")
endif()
message(STATUS "Embedded Python: ${_py_lib} (home ${LAKEFLOW_PYTHON_HOME})")
add_library(lakeflow::python SHARED IMPORTED)
set_target_properties(lakeflow::python PROPERTIES
  IMPORTED_LOCATION "${_py_lib}"
  INTERFACE_INCLUDE_DIRECTORIES "${LAKEFLOW_PYTHON_INCLUDE}")
list(APPEND CMAKE_BUILD_RPATH "${_py_libdir}")
list(APPEND CMAKE_INSTALL_RPATH "${_py_libdir}")
