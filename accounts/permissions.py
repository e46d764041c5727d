from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions


class RolePermission(BasePermission):
    """API access by role.

    A view may declare `required_permissions = {"GET": [...], "POST": [...]}`; otherwise the model
    permissions of its queryset apply, reads included (a user in no role group reads nothing).
    """

    model_permissions = DjangoModelPermissions()
    model_permissions.perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        declared = getattr(view, "required_permissions", None)
        if declared is not None:
            method = "GET" if request.method in SAFE_METHODS else request.method
            return user.has_perms(declared.get(method, declared.get("*", ())))
        return self.model_permissions.has_permission(request, view)
