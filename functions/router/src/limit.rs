//! Rate limits: the acknowledgement goes to an address the visitor typed,
//! from the organisation's own sender, so without limits the form is a way
//! to mail anyone in the organisation's name. Three limits, all from the
//! manifest ([`RateLimits`]):
//!
//! - per client address: messages accepted in any hour (IPv6 clients by
//!   their /64, which one subscriber usually holds whole);
//! - overall: messages accepted from everyone in any hour;
//! - per acknowledgement address: at most one acknowledgement in the
//!   window; further messages are still routed to the contact, without one.
//!
//! Windows slide (a log of times per key, so "10 per hour" means 10 in any
//! 60 minutes, not 20 across the turn of an hour). State is this process's
//! memory: per instance on Lambda, where the API's throttling is the shared
//! limit. Memory is bounded: past [`MAX_TRACKED`] keys, expired ones are
//! dropped, and if none are, new clients are refused until some expire
//! (the limits fail closed).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::manifest::RateLimits;

/// Most client or address keys kept at once (a few MB at worst).
pub const MAX_TRACKED: usize = 100_000;

const HOUR_MS: i64 = 3_600_000;

/// The client's network address, as the host saw it. Hosts put it in the
/// request's extensions (`serve`: the socket's peer; Lambda: the request
/// context's source IP); without it every request shares one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// What a limited request is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until a message would be accepted again.
    pub retry_after_secs: u64,
    pub scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Client,
    Overall,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Client => "client",
            Scope::Overall => "overall",
        }
    }
}

/// A message counted against the client and overall limits; give it back
/// with [`Limiter::refund`] when nothing new was kept (a replay, a failure).
#[derive(Debug)]
#[must_use]
pub struct Permit {
    client: String,
    at_ms: i64,
}

/// An acknowledgement counted against its address; [`Limiter::refund_ack`]
/// undoes it when the message was not kept.
#[derive(Debug)]
#[must_use]
pub struct AckGrant {
    address: String,
    previous: Option<i64>,
}

#[derive(Debug, Default)]
struct Logs {
    clients: HashMap<String, VecDeque<i64>>,
    overall: VecDeque<i64>,
    acknowledged: HashMap<String, i64>,
}

#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    logs: Mutex<Logs>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            logs: Mutex::new(Logs::default()),
        }
    }

    /// Counts one message from `client`, or says how long it must wait.
    pub fn admit(&self, client: Option<ClientAddr>, now: DateTime<Utc>) -> Result<Permit, Limited> {
        let now_ms = now.timestamp_millis();
        let key = client_key(client);
        let mut logs = self.lock();
        let Logs {
            clients, overall, ..
        } = &mut *logs;
        drop_older(overall, now_ms - HOUR_MS);
        if let Some(wait) = full(overall, self.limits.overall_per_hour, now_ms) {
            return Err(Limited {
                retry_after_secs: wait,
                scope: Scope::Overall,
            });
        }
        if !clients.contains_key(&key) && clients.len() >= MAX_TRACKED {
            clients.retain(|_, log| log.back().is_some_and(|&t| t > now_ms - HOUR_MS));
            if clients.len() >= MAX_TRACKED {
                return Err(Limited {
                    retry_after_secs: 60,
                    scope: Scope::Overall,
                });
            }
        }
        let log = clients.entry(key.clone()).or_default();
        drop_older(log, now_ms - HOUR_MS);
        if let Some(wait) = full(log, self.limits.per_client_per_hour, now_ms) {
            return Err(Limited {
                retry_after_secs: wait,
                scope: Scope::Client,
            });
        }
        log.push_back(now_ms);
        overall.push_back(now_ms);
        Ok(Permit {
            client: key,
            at_ms: now_ms,
        })
    }

    /// Gives back a message that was not kept as a new one.
    pub fn refund(&self, permit: Permit) {
        let mut logs = self.lock();
        if let Some(log) = logs.clients.get_mut(&permit.client) {
            remove_one(log, permit.at_ms);
        }
        remove_one(&mut logs.overall, permit.at_ms);
    }

    /// Whether `address` may get an acknowledgement now; counts it if so.
    pub fn acknowledge(&self, address: &str, now: DateTime<Utc>) -> Option<AckGrant> {
        let now_ms = now.timestamp_millis();
        let window_ms = i64::from(self.limits.acknowledgement_window_minutes) * 60_000;
        let address = address.to_lowercase();
        let mut logs = self.lock();
        let acknowledged = &mut logs.acknowledged;
        let previous = acknowledged.get(&address).copied();
        if previous.is_some_and(|t| now_ms - t < window_ms) {
            return None;
        }
        if previous.is_none() && acknowledged.len() >= MAX_TRACKED {
            acknowledged.retain(|_, &mut t| now_ms - t < window_ms);
            if acknowledged.len() >= MAX_TRACKED {
                return None;
            }
        }
        acknowledged.insert(address.clone(), now_ms);
        Some(AckGrant { address, previous })
    }

    /// Undoes an acknowledgement that was not sent after all.
    pub fn refund_ack(&self, grant: AckGrant) {
        let mut logs = self.lock();
        match grant.previous {
            Some(t) => logs.acknowledged.insert(grant.address, t),
            None => logs.acknowledged.remove(&grant.address),
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Logs> {
        // The logs stay consistent at every step, so a panic elsewhere leaves them usable.
        self.logs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// IPv4 addresses whole, IPv6 by their /64; one shared key when unknown.
fn client_key(client: Option<ClientAddr>) -> String {
    match client.map(|c| c.0) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_string(),
    }
}

fn drop_older(log: &mut VecDeque<i64>, cutoff_ms: i64) {
    while log.front().is_some_and(|&t| t <= cutoff_ms) {
        log.pop_front();
    }
}

/// `Some(seconds to wait)` when `log` already holds `limit` times in the last hour.
fn full(log: &VecDeque<i64>, limit: u32, now_ms: i64) -> Option<u64> {
    if log.len() < limit as usize {
        return None;
    }
    // The entry that must leave the window before another fits.
    let oldest = log
        .get(log.len() - limit as usize)
        .copied()
        .unwrap_or(now_ms);
    let wait_ms = (oldest + HOUR_MS - now_ms).max(1_000);
    Some(u64::try_from((wait_ms + 999) / 1_000).unwrap_or(1))
}

fn remove_one(log: &mut VecDeque<i64>, at_ms: i64) {
    if let Some(i) = log.iter().rposition(|&t| t == at_ms) {
        log.remove(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
    }

    fn limits(client: u32, overall: u32, ack_minutes: u32) -> RateLimits {
        RateLimits {
            per_client_per_hour: client,
            overall_per_hour: overall,
            acknowledgement_window_minutes: ack_minutes,
        }
    }

    fn ip(s: &str) -> Option<ClientAddr> {
        Some(ClientAddr(s.parse().unwrap()))
    }

    #[test]
    fn a_client_gets_its_hourly_share_in_any_sliding_hour() {
        let l = Limiter::new(limits(3, 100, 60));
        for i in 0..3 {
            let _ = l
                .admit(ip("192.0.2.1"), t0() + Duration::minutes(i * 10))
                .unwrap();
        }
        let limited = l
            .admit(ip("192.0.2.1"), t0() + Duration::minutes(30))
            .unwrap_err();
        assert_eq!(limited.scope, Scope::Client);
        // The first leaves the window at 60 min, 30 min from now.
        assert_eq!(limited.retry_after_secs, 30 * 60);
        // Another client is not affected.
        let _ = l.admit(ip("192.0.2.2"), t0()).unwrap();
        // At 60 min the first one has left the window: one more fits.
        let _ = l
            .admit(ip("192.0.2.1"), t0() + Duration::minutes(60))
            .unwrap();
        assert!(
            l.admit(ip("192.0.2.1"), t0() + Duration::minutes(61))
                .is_err()
        );
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let l = Limiter::new(limits(1, 100, 60));
        let _ = l.admit(ip("2001:db8:1:2::1"), t0()).unwrap();
        assert!(l.admit(ip("2001:db8:1:2::ffff"), t0()).is_err());
        let _ = l.admit(ip("2001:db8:1:3::1"), t0()).unwrap();
        // An IPv4-mapped address is its IPv4 address.
        let _ = l.admit(ip("::ffff:192.0.2.7"), t0()).unwrap();
        assert!(l.admit(ip("192.0.2.7"), t0()).is_err());
    }

    #[test]
    fn overall_limit_and_refunds() {
        let l = Limiter::new(limits(10, 2, 60));
        let a = l.admit(ip("192.0.2.1"), t0()).unwrap();
        let _b = l.admit(ip("192.0.2.2"), t0()).unwrap();
        let e = l.admit(ip("192.0.2.3"), t0()).unwrap_err();
        assert_eq!(e.scope, Scope::Overall);
        l.refund(a);
        let _ = l.admit(ip("192.0.2.3"), t0()).unwrap();
    }

    #[test]
    fn one_acknowledgement_per_address_per_window() {
        let l = Limiter::new(limits(10, 100, 60));
        let g = l.acknowledge("Victim@Example.org", t0()).unwrap();
        assert!(l.acknowledge("victim@example.org", t0()).is_none());
        assert!(
            l.acknowledge("victim@example.org", t0() + Duration::minutes(59))
                .is_none()
        );
        assert!(l.acknowledge("other@example.org", t0()).is_some());
        l.refund_ack(g);
        assert!(l.acknowledge("victim@example.org", t0()).is_some());
        assert!(
            l.acknowledge("victim@example.org", t0() + Duration::minutes(60))
                .is_some()
        );
    }

    #[test]
    fn memory_is_bounded_and_fails_closed() {
        let l = Limiter::new(limits(1, u32::MAX, 60));
        for i in 0..MAX_TRACKED as u32 {
            let addr = std::net::Ipv4Addr::from(i);
            let _ = l.admit(Some(ClientAddr(addr.into())), t0()).unwrap();
        }
        let e = l.admit(ip("255.255.255.255"), t0()).unwrap_err();
        assert_eq!(e.scope, Scope::Overall);
        // An hour later the old keys are dropped and new clients fit again.
        let _ = l
            .admit(ip("255.255.255.255"), t0() + Duration::minutes(61))
            .unwrap();
        assert!(l.lock().clients.len() <= 1);
    }
}
