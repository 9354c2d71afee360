from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import update

from .models import Order, Product, Wallet, db

orders = Blueprint("orders", __name__)


@orders.route("/products")
def product_list():
    return jsonify([{"id": p.id, "name": p.name, "price": str(p.price), "stock": p.stock}
                    for p in Product.query.all()])


@orders.route("/orders/<int:order_id>")
@login_required
def order_detail(order_id):
    order = Order.query.get_or_404(order_id)
    if order.user_id != current_user.id:
        abort(404)
    return jsonify(order.to_dict())


@orders.route("/orders/<int:order_id>/invoice")
@login_required
def order_invoice(order_id):
    order = Order.query.filter_by(id=order_id, user_id=current_user.id).first_or_404()
    return jsonify({**order.to_dict(), "email": order.user.email})


@orders.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != current_user.id or order.status != "paid":
        abort(404)
    order.status = "cancelled"
    db.session.execute(
        update(Wallet)
        .where(Wallet.user_id == current_user.id)
        .values(balance=Wallet.balance + order.total)
    )
    db.session.commit()
    return jsonify(order.to_dict())


@orders.route("/checkout", methods=["POST"])
@login_required
def checkout():
    product = Product.query.get_or_404(request.json["product_id"])
    quantity = int(request.json.get("quantity", 1))
    if quantity < 1:
        abort(400)
    total = product.price * quantity
    # Each update checks and changes in one statement: a concurrent checkout cannot slip in
    # between the check and the write.
    taken = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock >= quantity)
        .values(stock=Product.stock - quantity)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        abort(409, "out of stock")
    paid = db.session.execute(
        update(Wallet)
        .where(Wallet.user_id == current_user.id, Wallet.balance >= total)
        .values(balance=Wallet.balance - total)
    )
    if paid.rowcount != 1:
        db.session.rollback()
        abort(402, "insufficient funds")
    order = Order(user_id=current_user.id, product_id=product.id, quantity=quantity,
                  total=total)
    db.session.add(order)
    db.session.commit()
    return jsonify(order.to_dict()), 201


@orders.route("/products/<int:product_id>/restock", methods=["POST"])
@login_required
def restock(product_id):
    if not current_user.is_admin:
        abort(403)
    product = Product.query.get_or_404(product_id)
    db.session.execute(
        update(Product)
        .where(Product.id == product.id)
        .values(stock=Product.stock + int(request.json["quantity"]))
    )
    db.session.commit()
    db.session.refresh(product)
    return jsonify({"id": product.id, "stock": product.stock})


@orders.route("/refunds", methods=["POST"])
@login_required
def request_refund():
    order = Order.query.filter_by(id=request.json["order_id"], user_id=current_user.id).first()
    if order is None:
        abort(404)
    order.status = "refund_requested"
    db.session.commit()
    return jsonify(order.to_dict())

