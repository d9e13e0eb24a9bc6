#include "layeringchecker.h"

#include <fstream>
#include <regex>

namespace kd::tests {

namespace fs = std::filesystem;

namespace {

bool isSource(const fs::path &path)
{
    const std::string ext = path.extension().string();
    return ext == ".cpp" || ext == ".h" || ext == ".hpp" || ext == ".cc" || ext == ".inc";
}

std::string topModule(const std::string &relative)
{
    return relative.substr(0, relative.find('/'));
}

bool startsWith(const std::string &text, const std::string &prefix)
{
    return text.compare(0, prefix.size(), prefix) == 0;
}

bool isQtHeader(const std::string &include)
{
    static const std::regex qtHeader(R"(^(Qt[A-Za-z]*/|Q[A-Z][A-Za-z]*$|q[a-z]+global\.h$))");
    return std::regex_search(include, qtHeader);
}

// Where an include points inside the tree, as a path relative to root ("core/util/log.h"), or ""
// for headers outside it. Quoted includes resolve against the including file's folder first.
std::string resolveInclude(const fs::path &root, const fs::path &includingFile,
                           const std::string &include, bool quoted)
{
    if (quoted) {
        const fs::path local = (includingFile.parent_path() / include).lexically_normal();
        if (fs::exists(local))
            return local.lexically_relative(root).generic_string();
    }
    const fs::path fromRoot = (root / include).lexically_normal();
    const std::string relative = fromRoot.lexically_relative(root).generic_string();
    static const char *const modules[] = {"core/", "localcluster/", "ui/", "app/"};
    for (const char *module : modules) {
        if (startsWith(relative, module))
            return relative;
    }
    return {};
}

void checkInclude(const std::string &file, int line, const std::string &include,
                  const std::string &target, std::vector<LayeringViolation> &out)
{
    const std::string from = topModule(file);
    const std::string to = target.empty() ? std::string() : topModule(target);
    auto report = [&](const char *rule) { out.push_back({file, line, include, rule}); };

    if ((from == "core" || from == "localcluster") && target.empty() && isQtHeader(include))
        report("core/ and localcluster/ must not use Qt");
    if (to == "app" && from != "app")
        report("nothing may include app/");
    if (from == "core" && (to == "localcluster" || to == "ui"))
        report("core/ depends on no other module");
    if (from == "localcluster" && to == "ui")
        report("localcluster/ must not depend on ui/");
    if (from == "ui" && to == "localcluster")
        report("ui/ must not include localcluster/ (it only launches kubedesk-cluster)");
    if (from == "localcluster" && startsWith(target, "localcluster/storage/")
        && !startsWith(file, "localcluster/storage/")
        && !startsWith(file, "localcluster/apiserver/") && file != "localcluster/main.cpp")
        report("only localcluster/apiserver/ may use localcluster/storage/");
}

} // namespace

std::vector<LayeringViolation> checkLayering(const fs::path &rootIn)
{
    const fs::path root = fs::weakly_canonical(rootIn);
    static const std::regex includeLine(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
    std::vector<LayeringViolation> violations;
    for (const char *module : {"core", "localcluster", "ui", "app"}) {
        const fs::path dir = root / module;
        if (!fs::is_directory(dir))
            continue;
        for (const auto &entry : fs::recursive_directory_iterator(dir)) {
            if (!entry.is_regular_file() || !isSource(entry.path()))
                continue;
            const std::string file = entry.path().lexically_relative(root).generic_string();
            std::ifstream in(entry.path());
            std::string text;
            int lineNumber = 0;
            while (std::getline(in, text)) {
                ++lineNumber;
                std::smatch match;
                if (!std::regex_search(text, match, includeLine))
                    continue;
                const bool quoted = match[1] == "\"";
                const std::string include = match[2];
                checkInclude(file, lineNumber, include,
                             resolveInclude(root, entry.path(), include, quoted), violations);
            }
        }
    }
    return violations;
}

} // namespace kd::tests
