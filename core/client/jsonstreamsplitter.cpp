#include "jsonstreamsplitter.h"

namespace kd::core::client {

std::vector<std::string> JsonStreamSplitter::feed(std::string_view bytes)
{
    std::vector<std::string> complete;
    for (char c : bytes) {
        if (m_failed)
            break;
        if (m_depth == 0) {
            // Between values only whitespace may appear, then the next object's brace.
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
                continue;
            if (c != '{') {
                m_failed = true;
                break;
            }
        }
        m_buffer += c;
        if (m_inString) {
            if (m_escaped)
                m_escaped = false;
            else if (c == '\\')
                m_escaped = true;
            else if (c == '"')
                m_inString = false;
            continue;
        }
        if (c == '"') {
            m_inString = true;
        } else if (c == '{' || c == '[') {
            ++m_depth;
        } else if (c == '}' || c == ']') {
            if (--m_depth == 0) {
                complete.push_back(std::move(m_buffer));
                m_buffer.clear();
            } else if (m_depth < 0) {
                m_failed = true;
            }
        }
    }
    return complete;
}

} // namespace kd::core::client
