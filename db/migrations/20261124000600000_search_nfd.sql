-- Up Migration
-- Search compares decomposed text (Unicode NFD): a Hangul syllable becomes its jamo, so a typo in
-- one vowel (레미재라블 for 레미제라블) changes one trigram-unit instead of a whole syllable.
DROP INDEX ticket.events_title_trgm;
DROP INDEX ticket.events_artist_trgm;
DROP INDEX ticket.events_venue_trgm;
CREATE INDEX events_title_nfd_trgm ON ticket.events USING gin (normalize(lower(title), NFD) gin_trgm_ops);
CREATE INDEX events_artist_nfd_trgm ON ticket.events USING gin (normalize(lower(coalesce(artist_name, '')), NFD) gin_trgm_ops);
CREATE INDEX events_venue_nfd_trgm ON ticket.events USING gin (normalize(lower(venue), NFD) gin_trgm_ops);

-- Down Migration
DROP INDEX ticket.events_title_nfd_trgm;
DROP INDEX ticket.events_artist_nfd_trgm;
DROP INDEX ticket.events_venue_nfd_trgm;
CREATE INDEX events_title_trgm ON ticket.events USING gin (lower(title) gin_trgm_ops);
CREATE INDEX events_artist_trgm ON ticket.events USING gin (lower(coalesce(artist_name, '')) gin_trgm_ops);
CREATE INDEX events_venue_trgm ON ticket.events USING gin (lower(venue) gin_trgm_ops);
