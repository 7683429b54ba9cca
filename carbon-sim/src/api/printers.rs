//! Printers and their queues.

use super::resource::*;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "printers"]) => {
            let limit = r.query.limit().map_err(bad)?;
            let offset: usize = r
                .query
                .one("offset")
                .ok_or_else(|| bad("offset is required"))?
                .parse()
                .map_err(|_| bad("offset must be a number"))?;
            let printers: Vec<types::Printer> = printers_now(w).into_iter().skip(offset).take(limit).collect();
            Ok(json_reply(
                StatusCode::OK,
                &json!({"printers": printers, "limit": limit, "offset": offset, "total_count": w.printers.len()}),
            ))
        }
        (&Method::GET, ["v1", "printers", "queues"]) => {
            let wanted = r.query.all("printer_serial");
            let queues: Vec<Value> = w
                .queues
                .iter()
                .filter(|(serial, _)| wanted.is_empty() || wanted.contains(serial))
                .map(|(serial, uuids)| json!({"printer_serial": serial, "print_uuids": uuids, "updated_at": w.clock.now()}))
                .collect();
            Ok(json_reply(StatusCode::OK, &json!({"printer_queues": queues})))
        }
        (&Method::PATCH, ["v1", "printers", "queues"]) => update_queue(w, parse(r.body)?),
        (&Method::GET, ["v1", "printers", serial]) => {
            let printer = printers_now(w)
                .into_iter()
                .find(|p| p.serial == *serial)
                .ok_or_else(|| not_found("printer"))?;
            Ok(json_reply(StatusCode::OK, &printer))
        }
        _ => Err(no_route()),
    }
}

/// Printers with their queue state filled in.
fn printers_now(w: &World) -> Vec<types::Printer> {
    w.printers
        .iter()
        .map(|p| {
            let mut p = p.clone();
            let queue = w.queues.get(&p.serial).map_or(0, Vec::len);
            p.prints.queue_length = queue as i64;
            p.status.printer_state = if queue > 0 { "PRINTING".into() } else { "IDLE".into() };
            p
        })
        .collect()
}

fn update_queue(w: &mut World, body: Value) -> Result<Reply, Reply> {
    let request: types::UpdatePrinterQueueBody =
        serde_json::from_value(body).map_err(|e| bad(format!("invalid queue update: {e}")))?;
    let (print_uuids, target) = match request {
        types::UpdatePrinterQueueBody::DeleteRequest(d) => (d.print_uuids, None),
        types::UpdatePrinterQueueBody::MoveRequest(m) => (m.print_uuids, Some((m.printer_serial, m.index))),
    };
    if let Some((serial, _)) = &target
        && !w.queues.contains_key(serial)
    {
        return Err(not_found("printer"));
    }
    let mut done = Vec::new();
    for uuid in &print_uuids {
        let mut found = false;
        for queue in w.queues.values_mut() {
            if let Some(i) = queue.iter().position(|u| u == uuid) {
                queue.remove(i);
                found = true;
            }
        }
        if found {
            done.push(uuid.clone());
        }
    }
    if let Some((serial, index)) = target {
        let queue = w.queues.get_mut(&serial).unwrap();
        let at = if index < 0 {
            queue.len()
        } else {
            (index as usize).min(queue.len())
        };
        for (i, uuid) in done.iter().enumerate() {
            queue.insert(at + i, uuid.clone());
        }
    }
    let code = if done.len() == print_uuids.len() {
        0
    } else if done.is_empty() {
        2
    } else {
        1
    };
    Ok(json_reply(
        StatusCode::OK,
        &json!({"code": code, "uuids": done, "message": format!("{} of {} prints updated", done.len(), print_uuids.len())}),
    ))
}
