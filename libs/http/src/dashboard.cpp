// The SRE dashboard's pages and their shared script and style sheet
// (libs/http/assets/, compiled in by cmake/embed_assets.cmake). Plain HTML,
// CSS and JS: no external assets, no inline script or style (the handler's
// Content-Security-Policy allows only 'self'), and every value from the
// server is inserted with textContent, never innerHTML: ticket ids come
// from users.
#include <array>
#include <utility>

#include "sla/http/handler.hpp"

namespace sla::http {

namespace {

struct Embedded {
  std::string_view name;
  std::string_view body;
};

constexpr Embedded kEmbedded[] = {
#include "dashboard_assets.inc"
};

/// URL path -> embedded file. "/" and the page names without ".html".
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kRoutes{{
    {"/", "overview.html"},
    {"/index.html", "overview.html"},
    {"/ticket", "ticket.html"},
    {"/oncall", "oncall.html"},
    {"/pages", "pages.html"},
    {"/compliance", "compliance.html"},
    {"/assets/dashboard.css", "dashboard.css"},
    {"/assets/dashboard.js", "dashboard.js"},
    {"/favicon.ico", ""},
}};

std::string_view content_type_of(std::string_view name) {
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  return "text/html; charset=utf-8";
}

std::string_view embedded(std::string_view name) {
  for (const auto& e : kEmbedded) {
    if (e.name == name) return e.body;
  }
  return {};
}

}  // namespace

std::optional<DashboardAsset> dashboard_asset(std::string_view path) noexcept {
  for (const auto& [route, name] : kRoutes) {
    if (route != path) continue;
    if (name.empty()) return DashboardAsset{"image/x-icon", {}};  // no icon: an empty answer, not a 404 in the console
    return DashboardAsset{content_type_of(name), embedded(name)};
  }
  return std::nullopt;
}

std::string_view dashboard_html() noexcept { return embedded("overview.html"); }

}  // namespace sla::http
