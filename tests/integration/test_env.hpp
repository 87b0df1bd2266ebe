#pragma once
// Reads the ports of the services tests/peers/stack.sh started (TRIAGE_TEST_ENV_FILE).

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace triage::test {

inline std::map<std::string, std::string> stack_env() {
    std::map<std::string, std::string> out;
    const char* path = std::getenv("TRIAGE_TEST_ENV_FILE");
    if (!path) return out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        auto eq = line.find('=');
        if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

}  // namespace triage::test
