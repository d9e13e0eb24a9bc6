#include "jsondepth.h"

#include <string>

namespace kd::lc::apiserver {

using core::util::Error;

core::util::Result<void> checkJsonDepth(std::string_view text, int maxDepth)
{
    int depth = 0;
    bool inString = false;
    bool escaped = false;
    for (const char c : text) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth)
                return Error(Error::Code::BadRequest,
                             "the request body is nested too deeply: more than "
                                 + std::to_string(maxDepth) + " levels of arrays and objects");
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return {};
}

} // namespace kd::lc::apiserver
