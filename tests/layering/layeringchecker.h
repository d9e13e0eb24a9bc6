#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kd::tests {

// One include that breaks a dependency rule of DESIGN.md.
struct LayeringViolation
{
    std::string file; // relative to the checked root
    int line = 0;
    std::string include;
    std::string rule;
};

// Scans the C++ sources below root (core/, localcluster/, ui/, app/) and reports every include
// that crosses a forbidden module boundary:
//  - core/ and localcluster/ include no Qt header;
//  - core/ includes nothing of localcluster/, ui/ or app/;
//  - localcluster/ includes nothing of ui/ or app/, and only apiserver/ (and storage/ itself)
//    include storage/, besides main.cpp, the cluster's composition root, which opens the Store
//    and hands it to the API server;
//  - ui/ includes nothing of localcluster/ (it only launches the kubedesk-cluster process);
//  - nothing includes app/.
std::vector<LayeringViolation> checkLayering(const std::filesystem::path &root);

} // namespace kd::tests
