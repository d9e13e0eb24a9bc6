#include "jsonstreamsplitter.h"

namespace kd::core::client {

std::vector<std::string> JsonStreamSplitter::feed(std::string_view bytes)
{
    // Scans with a cursor and copies each value's bytes in one piece (a byte-at-a-time append
    // was most of the cost of taking a watch event apart).
    std::vector<std::string> complete;
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    while (p < end && !m_failed) {
        if (m_depth == 0) {
            // Between values only whitespace may appear, then the next object's brace.
            while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
                ++p;
            if (p == end)
                break;
            if (*p != '{') {
                m_failed = true;
                break;
            }
        }
        const char *const start = p; // of this value's bytes in this chunk
        bool closed = false;
        for (; p < end; ++p) {
            const char c = *p;
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
            } else if ((c == '}' || c == ']') && --m_depth == 0) {
                ++p;
                closed = true;
                break;
            }
        }
        m_buffer.append(start, p);
        if (closed) {
            complete.push_back(std::move(m_buffer));
            m_buffer.clear();
        }
    }
    return complete;
}

} // namespace kd::core::client
