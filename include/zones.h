/*
 * zones.h - the zone table compiled into the binary (scripts/zones2c.sh):
 * for each IANA zone of the build machine's tzdata, the POSIX TZ rule of
 * its current offsets and daylight saving, so that a box without
 * /usr/share/zoneinfo still knows its zone.  Sorted by name.
 */
#ifndef SENDREPORTS_ZONES_H
#define SENDREPORTS_ZONES_H

struct zone_rule {
	const char	*name;		/* "Europe/Paris" */
	const char	*rule;		/* "CET-1CEST,M3.5.0,M10.5.0/3" */
};

extern const char		zones_version[];	/* "2025b", or "" */
extern const struct zone_rule	zones[];
extern const unsigned long	zones_count;

#endif
