// The binary interface between the engine and a connector plugin.
//
// A plugin is C++ compiled apart from the engine, and the objects it trades
// with it (LakeflowConnect's virtual table, Options, Status, Arrow batches,
// std::string) must have the same layout on both sides, or the first call
// corrupts memory. So a plugin carries the ABI it was built for, and the
// engine refuses, with one line, a plugin whose ABI is not its own, before
// calling any of its code.
//
// The ABI names three things: the SDK's own version (bumped whenever a
// change to an SDK header changes a type that crosses the boundary), Arrow's
// major version, and the C++ standard library's string ABI.
//
// A plugin declares itself with LAKEFLOW_CONNECTOR_PLUGIN, in one .cc file:
//
//   LAKEFLOW_CONNECTOR_PLUGIN(registry) {
//     registry->Register({"planets", "the planets", {}, &PlanetsConnector::Make});
//   }
//
// which exports both symbols the engine looks for:
//   extern "C" const char lakeflow_plugin_abi[];   // LAKEFLOW_PLUGIN_ABI
//   extern "C" void lakeflow_register_connectors(lakeflow::ConnectorRegistry*);
#pragma once

#include <arrow/util/config.h>

#include <cstddef>

#define LAKEFLOW_SDK_ABI_VERSION 1

#define LAKEFLOW_ABI_STRINGIFY_(x) #x
#define LAKEFLOW_ABI_STRINGIFY(x) LAKEFLOW_ABI_STRINGIFY_(x)

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define LAKEFLOW_ABI_STDLIB "libstdc++ cxx11-abi " LAKEFLOW_ABI_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define LAKEFLOW_ABI_STDLIB "libc++ abi " LAKEFLOW_ABI_STRINGIFY(_LIBCPP_ABI_VERSION)
#else
#define LAKEFLOW_ABI_STDLIB "unknown C++ library"
#endif

// For example "lakeflow-sdk 1, arrow 23, libstdc++ cxx11-abi 1".
#define LAKEFLOW_PLUGIN_ABI \
  "lakeflow-sdk " LAKEFLOW_ABI_STRINGIFY(LAKEFLOW_SDK_ABI_VERSION) ", arrow " \
      LAKEFLOW_ABI_STRINGIFY(ARROW_VERSION_MAJOR) ", " LAKEFLOW_ABI_STDLIB

namespace lakeflow {
class ConnectorRegistry;
}  // namespace lakeflow

#define LAKEFLOW_PLUGIN_EXPORT __attribute__((visibility("default")))

#define LAKEFLOW_CONNECTOR_PLUGIN(registry)                                                 \
  extern "C" LAKEFLOW_PLUGIN_EXPORT const char lakeflow_plugin_abi[] = LAKEFLOW_PLUGIN_ABI; \
  extern "C" LAKEFLOW_PLUGIN_EXPORT void lakeflow_register_connectors(                      \
      lakeflow::ConnectorRegistry* registry)
