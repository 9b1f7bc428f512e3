package dev.portico.dns;

/**
 * One immutable generation of what the server answers: the config, the zones, the dynamic
 * records, and the rendered answers cached for this generation only. A reload publishes a new
 * instance through one volatile reference, so a query sees either all of the old data or all of
 * the new.
 *
 * @param config  the config this generation was built from
 * @param zones   the loaded zones
 * @param dynamic the dynamic records (kept across zone reloads)
 * @param cache   rendered static answers of these zones
 * @param lrrr    the nearest-side answers with their table of resolvers, or null without LRRR
 */
record DnsData(DnsConfig config, ZoneSet zones, DynamicRecords dynamic, AnswerCache cache, Lrrr lrrr) {
}
