"""The fictional demo network: cities, people and a cycle in progress."""

DEMO_PASSWORD = "demo-safer-cities"  # demo accounts only; printed by `flask demo-data`

CITIES = [
    # slug, name, country, region, population band, languages, time zone
    ("amanzi-bay", "Amanzi Bay", "South Africa", "africa", "1m_5m", ["en"], "Africa/Johannesburg"),
    ("kisaru", "Kisaru", "Kenya", "africa", "500k_1m", ["en", "sw"], "Africa/Nairobi"),
    ("nouvelle-sahel", "Nouvelle-Sahel", "Senegal", "africa", "100k_500k", ["fr"], "Africa/Dakar"),
    ("san-aurelio", "San Aurelio", "Colombia", "latin_america", "1m_5m", ["es"], "America/Bogota"),
    ("villa-esperanza", "Villa Esperanza", "Mexico", "latin_america", "500k_1m", ["es"], "America/Mexico_City"),
    ("puerto-claro", "Puerto Claro", "Chile", "latin_america", "100k_500k", ["es"], "America/Santiago"),
    ("eastmere", "Eastmere", "United Kingdom", "europe", "100k_500k", ["en"], "Europe/London"),
    ("valmont-sur-loire", "Valmont-sur-Loire", "France", "europe", "100k_500k", ["fr"], "Europe/Paris"),
    ("castellar", "Castellar", "Spain", "europe", "500k_1m", ["es"], "Europe/Madrid"),
    ("port-mirasol", "Port Mirasol", "Philippines", "asia", "1m_5m", ["en", "tl"], "Asia/Manila"),
    ("tanjung-harapan", "Tanjung Harapan", "Indonesia", "asia", "500k_1m", ["en", "id"], "Asia/Jakarta"),
    ("maple-falls", "Maple Falls", "Canada", "north_america", "100k_500k", ["en", "fr"], "America/Toronto"),
]

# email, name, locale, network roles, [(city slug, city role)]
PEOPLE = [
    ("admin@demo.safercities.example", "Ada Admin", "en", ["admin"], []),
    ("secretariat@demo.safercities.example", "Samira Okafor", "en", ["secretariat"], []),
    ("facilitator@demo.safercities.example", "Lucía Fernández", "es", ["facilitator"], []),
    ("facilitator2@demo.safercities.example", "Tomás Reyes", "en", ["facilitator"], []),
]
for slug, name, *_rest in CITIES:
    PEOPLE.append((f"coordinator.{slug}@demo.safercities.example", f"Coordinator of {name}",
                   "es" if _rest[3][0] == "es" else ("fr" if _rest[3][0] == "fr" else "en"), [],
                   [(slug, "coordinator")]))
    PEOPLE.append((f"member.{slug}@demo.safercities.example", f"Safety officer, {name}",
                   "es" if _rest[3][0] == "es" else ("fr" if _rest[3][0] == "fr" else "en"), [],
                   [(slug, "member")]))

CYCLES = [
    # name, starts, ends, state, participating cities (None = all)
    ("2025 round", "2025-02-01", "2025-11-30", "closed", None),
    ("2026 round", "2026-02-01", "2026-12-15", "open", None),
    ("2027 round", "2027-02-01", "2027-12-15", "draft", []),
]

# The logins `make demo` prints, one per role.
SHOWCASE = [
    ("admin", "admin@demo.safercities.example"),
    ("secretariat", "secretariat@demo.safercities.example"),
    ("facilitator", "facilitator@demo.safercities.example"),
    ("facilitator", "facilitator2@demo.safercities.example"),
    ("city coordinator (San Aurelio)", "coordinator.san-aurelio@demo.safercities.example"),
    ("city member (Kisaru)", "member.kisaru@demo.safercities.example"),
]
