//! Print orders: a build queued on printers, with copies per printer.

use super::resource::*;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "print_orders"]) => {
            let aliases = [("printer_serial", "keys:routed_to")];
            r.shared.map_page(
                r.query,
                &w.print_orders,
                |o| o.order.clone(),
                "print_orders",
                &["uuid"],
                &aliases,
            )
        }
        (&Method::POST, ["v1", "print_orders"]) => {
            let request: types::PrintOrderRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid print order: {e}")))?;
            if !w.builds.contains_key(&request.build_uuid) {
                return Err(bad(format!("unknown build {}", request.build_uuid)));
            }
            if request.route_to.is_empty() {
                return Err(bad("route_to needs at least one printer serial"));
            }
            let uuid = match request.uuid.clone() {
                Some(uuid) if w.print_orders.contains_key(&uuid) => {
                    return Err(text_reply(StatusCode::CONFLICT, "a print order with this uuid exists"));
                }
                Some(uuid) => uuid,
                None => w.uuid(),
            };
            let total = request.total_copies.get();
            if i64::try_from(total).is_err() {
                return Err(bad(format!("total_copies {total} is more than a print order can hold")));
            }
            let n = request.route_to.len() as u64;
            let routed: serde_json::Map<String, Value> = request
                .route_to
                .iter()
                .enumerate()
                .map(|(i, serial)| {
                    let share = total / n + u64::from((i as u64) < total % n);
                    (serial.clone(), json!({"copies_queued": share, "copies_printed": 0}))
                })
                .collect();
            let now = w.clock.now();
            let order: types::PrintOrder = checked(json!({
                "uuid": uuid, "build_uuid": request.build_uuid, "total_copies": total, "routed_to": routed,
                "print_order_number": request.print_order_number, "print_order_tags": request.print_order_tags,
                "notes": request.notes, "created_at": now
            }))?;
            w.add_print_order(
                uuid,
                crate::world::PrintOrderState {
                    order: order.clone(),
                    created: now,
                },
            );
            Ok(json_reply(StatusCode::OK, &order))
        }
        (&Method::GET, ["v1", "print_orders", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.print_orders.get(uuid).ok_or_else(|| not_found("print order"))?.order,
        )),
        (&Method::PATCH, ["v1", "print_orders", uuid]) => {
            let request: types::PrintOrderUpdateRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid update: {e}")))?;
            let order = w
                .print_orders
                .update(uuid, |state| {
                    if request.notes.is_some() {
                        state.order.notes = request.notes;
                    }
                    if request.print_order_number.is_some() {
                        state.order.print_order_number = request.print_order_number;
                    }
                    if request.print_order_tags.is_some() {
                        state.order.print_order_tags = request.print_order_tags;
                    }
                    state.order.clone()
                })
                .ok_or_else(|| not_found("print order"))?;
            Ok(json_reply(StatusCode::OK, &order))
        }
        _ => Err(no_route()),
    }
}
