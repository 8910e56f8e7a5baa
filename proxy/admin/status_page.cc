#include "proxy/admin/status_page.h"

namespace outrigger::admin {

std::string_view statusPageHtml() {
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>outrigger</title></head>"
         "<body><h1>outrigger</h1><p><a href=\"/help\">admin endpoints</a></p></body></html>\n";
}

}  // namespace outrigger::admin
