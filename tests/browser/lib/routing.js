'use strict';
/**
 * Who the router must send a topic's message to, read from the routing
 * manifest the build wrote. Only departments without business hours are
 * supported: their routing does not depend on the clock, so the browser
 * tests can name the recipient without re-implementing time-zone rules.
 */

/** { to: [addresses], cc: [addresses], contact } for `topicId` on `day` (YYYY-MM-DD). */
function expectedRecipients(manifest, topicId, day = new Date().toISOString().slice(0, 10)) {
  const topic = manifest.topics.find((t) => t.id === topicId);
  if (!topic) throw new Error(`topic ${topicId} is not in the manifest`);
  const dept = manifest.departments.find((d) => d.id === topic.department);
  if (dept.hours) {
    throw new Error(`department ${dept.id} has business hours: choose a topic whose routing does not depend on the time`);
  }
  const byId = (id) => manifest.contacts.find((c) => c.id === id);
  let contact = byId(topic.contact || dept.primary);
  const seen = new Set();
  // An away contact hands over to their backup (chains end, the builder checks).
  while ((contact.away || []).some((a) => a.from <= day && day <= a.until) && contact.backup && !seen.has(contact.id)) {
    seen.add(contact.id);
    contact = byId(contact.backup);
  }
  return {
    contact,
    to: [contact.email.toLowerCase()],
    cc: dept.cc_inbox ? [dept.inbox.toLowerCase()] : [],
  };
}

module.exports = { expectedRecipients };
