// The plugin loader refuses a plugin built for another ABI, or declaring
// none, with one line and before running any of its code (the test plugins'
// registration aborts). The accepted case is the command-line tests' test
// plugin, which the lakeflow binary loads.
#include <gtest/gtest.h>

#include "lakeflow/connect/registry.h"

namespace lakeflow {
namespace {

TEST(PluginLoaderTest, RefusesAPluginBuiltForAnotherAbi) {
  ConnectorRegistry registry;
  Status st = LoadPlugin(LAKEFLOW_FOREIGN_ABI_PLUGIN, &registry);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("was built for 'lakeflow-sdk 0, arrow 1, libstdc++ cxx11-abi 0'"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find(std::string("this engine is '") + LAKEFLOW_PLUGIN_ABI + "'"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
  EXPECT_TRUE(registry.Names().empty());
}

TEST(PluginLoaderTest, RefusesAPluginThatDeclaresNoAbi) {
  ConnectorRegistry registry;
  Status st = LoadPlugin(LAKEFLOW_NO_ABI_PLUGIN, &registry);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("declares no ABI"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("LAKEFLOW_CONNECTOR_PLUGIN"), std::string::npos) << st.message();
  EXPECT_TRUE(registry.Names().empty());
}

TEST(PluginLoaderTest, TheAbiNamesTheSdkArrowAndTheStandardLibrary) {
  std::string abi = LAKEFLOW_PLUGIN_ABI;
  EXPECT_EQ(abi.rfind("lakeflow-sdk 1, arrow ", 0), 0u) << abi;
  EXPECT_EQ(abi.find("arrow ARROW_VERSION_MAJOR"), std::string::npos) << abi;
  EXPECT_NE(abi.find("libstdc++ cxx11-abi 1"), std::string::npos) << abi;
}

}  // namespace
}  // namespace lakeflow
